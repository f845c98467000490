using Opus.HelpGenerator;

// opus-help MODULE.dll DOCS.xml OUTPUT.xml [REFERENCE_FOLDER...]
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: Opus.HelpGenerator MODULE.dll DOCS.xml OUTPUT.xml [REFERENCE_FOLDER...]");
    return 2;
}

try
{
    var cmdlets = CmdletReader.Read(args[0], args[1], args[3..]);
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(args[2]))!);
    MamlWriter.Write(cmdlets).Save(args[2]);
    Console.WriteLine($"MAML help for {cmdlets.Count} cmdlets written to {args[2]}");
    return 0;
}
catch (Exception e) when (e is InvalidOperationException or FileNotFoundException)
{
    Console.Error.WriteLine($"Opus.HelpGenerator: {e.Message}");
    return 1;
}
