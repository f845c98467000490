using System.Text.RegularExpressions;

namespace Opus.Core.Tests.Provenance;

/// <summary>
/// A tokenizer and recursive-descent checker for the part of the PROV-N grammar (W3C REC 2013,
/// appendix A) that our documents use: document/endDocument, prefix declarations, the expressions
/// activity, entity, agent, used, wasGeneratedBy, wasAssociatedWith, wasAttributedTo, wasInfluencedBy,
/// specializationOf, wasDerivedFrom, attribute lists and literals. It also checks that every
/// qualified name's prefix is declared. Independent of the writer: built from the grammar's productions.
/// </summary>
public static partial class ProvNGrammar
{
    private enum T
    {
        Name,
        String,
        QNameLiteral,
        Iri,
        Time,
        Int,
        Punct,
        End,
    }

    private sealed record Token(T Type, string Text, int Line);

    // PN_CHARS_BASE (ASCII letters and the Unicode ranges of the grammar), PN_CHARS_U, PN_CHARS, PN_CHARS_OTHERS.
    private const string Base = @"[A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD]";
    private const string U = "(?:" + Base + "|_)";
    private const string Chars = "(?:" + U + @"|-|[0-9]|\u00B7|[\u0300-\u036F]|[\u203F-\u2040])";
    private const string Others = @"(?:[/@~&+*?#$!]|%[0-9A-Fa-f]{2}|\\[=\'(),\-:;\[\].])";
    private const string Prefix = Base + @"(?:(?:" + Chars + @"|\.)*" + Chars + ")?";
    private const string Local = "(?:" + U + "|[0-9]|" + Others + @")(?:(?:" + Chars + @"|\.|" + Others + ")*(?:" + Chars + "|" + Others + "))?";
    private const string QualifiedName = "(?:(?:" + Prefix + ":)?" + Local + "|" + Prefix + ":)";

    [GeneratedRegex(@"\G(?:[ \t\r\n]+|//[^\n]*|/\*(?s:.*?)\*/)")]
    private static partial Regex Space();

    [GeneratedRegex(@"\G""(?:[^""\\\n\r]|\\[tbnrf""'\\])*""")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\G'" + QualifiedName + "'")]
    private static partial Regex QNameLiteral();

    [GeneratedRegex(@"\G<[^<>""{}|^`\\\x00-\x20]*>")]
    private static partial Regex Iri();

    [GeneratedRegex(@"\G-?[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})?(?![\w:])")]
    private static partial Regex Time();

    [GeneratedRegex(@"\G-?[0-9]+(?![\w.:/])")]
    private static partial Regex Int();

    [GeneratedRegex(@"\G" + QualifiedName)]
    private static partial Regex Name();

    [GeneratedRegex(@"\G(?:%%|[()\[\],;=-])")]
    private static partial Regex Punctuation();

    [GeneratedRegex("^" + Prefix + "$")]
    private static partial Regex PrefixName();

    /// <summary>Every grammar violation found (empty: the text is a valid PROV-N document of this subset).</summary>
    public static List<string> Check(string text)
    {
        List<Token> tokens;
        try
        {
            tokens = Tokenize(text);
        }
        catch (FormatException e)
        {
            return [e.Message];
        }

        var parser = new Parser(tokens);
        parser.Document();
        return parser.Problems;
    }

    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var at = 0;
        var line = 1;
        while (at < text.Length)
        {
            Match m;
            if ((m = Space().Match(text, at)).Success)
            {
                line += m.Value.Count(c => c == '\n');
                at += m.Length;
                continue;
            }

            // Longest sensible match first: a time before a name (2024-... is not a name), a marker '-' last.
            (T, Regex)[] kinds = [(T.String, StringLiteral()), (T.QNameLiteral, QNameLiteral()), (T.Iri, Iri()), (T.Time, Time()), (T.Int, Int()), (T.Name, Name()), (T.Punct, Punctuation())];
            var found = false;
            foreach (var (type, pattern) in kinds)
            {
                if ((m = pattern.Match(text, at)).Success && m.Length > 0)
                {
                    tokens.Add(new Token(type, m.Value, line));
                    at += m.Length;
                    found = true;
                    break;
                }
            }

            if (!found)
                throw new FormatException($"line {line}: no PROV-N token at '{text[at..Math.Min(text.Length, at + 30)]}'");
        }

        tokens.Add(new Token(T.End, "", line));
        return tokens;
    }

    private sealed class Parser(List<Token> tokens)
    {
        private readonly HashSet<string> _prefixes = ["prov", "xsd"];
        private int _at;

        public List<string> Problems { get; } = [];

        private Token Peek => tokens[_at];

        private Token Next() => tokens[Math.Min(_at++, tokens.Count - 1)];

        private bool Fail(string message)
        {
            Problems.Add($"line {Peek.Line}: {message} (at '{Peek.Text}')");
            return false;
        }

        private bool Is(T type, string? text = null) => Peek.Type == type && (text is null || Peek.Text == text);

        private bool Expect(T type, string? text = null)
        {
            if (!Is(type, text))
                return Fail($"expected {text ?? type.ToString()}");
            Next();
            return true;
        }

        public void Document()
        {
            if (!Expect(T.Name, "document"))
                return;
            while (Is(T.Name, "prefix") || Is(T.Name, "default"))
            {
                var keyword = Next().Text;
                if (keyword == "prefix")
                {
                    var name = Next();
                    if (name.Type != T.Name || !PrefixName().IsMatch(name.Text))
                        Fail($"'{name.Text}' is not a PN_PREFIX");
                    _prefixes.Add(name.Text);
                }

                Expect(T.Iri);
            }

            while (!Is(T.Name, "endDocument") && !Is(T.End))
            {
                var start = _at;
                if (!Expression())
                {
                    // Resynchronise at the next line's expression.
                    var line = tokens[start].Line;
                    while (!Is(T.End) && Peek.Line == line)
                        Next();
                }
            }

            if (Expect(T.Name, "endDocument") && !Is(T.End))
                Fail("text after endDocument");
        }

        private bool Expression()
        {
            var name = Next();
            if (name.Type != T.Name)
                return Fail("expected an expression");
            if (!Expect(T.Punct, "("))
                return false;
            var ok = name.Text switch
            {
                "activity" => Identifier() && Optional(() => Comma() && TimeOrMarker() && Comma() && TimeOrMarker()) && Attributes(),
                "entity" or "agent" => Identifier() && Attributes(),
                "used" => OptionalId() && Identifier() && Optional(() => Comma() && IdOrMarker() && Comma() && TimeOrMarker()) && Attributes(),
                "wasGeneratedBy" => OptionalId() && Identifier() && Optional(() => Comma() && IdOrMarker() && Comma() && TimeOrMarker()) && Attributes(),
                "wasAssociatedWith" => OptionalId() && Identifier() && Optional(() => Comma() && IdOrMarker() && Comma() && IdOrMarker()) && Attributes(),
                "wasAttributedTo" or "wasInfluencedBy" => OptionalId() && Identifier() && Comma() && Identifier() && Attributes(),
                "specializationOf" => Identifier() && Comma() && Identifier(),
                "wasDerivedFrom" => OptionalId() && Identifier() && Comma() && Identifier()
                    && Optional(() => Comma() && IdOrMarker() && Comma() && IdOrMarker() && Comma() && IdOrMarker()) && Attributes(),
                _ => Fail($"'{name.Text}' is not an expression of the subset"),
            };
            return ok && Expect(T.Punct, ")");
        }

        /// <summary>An optional group that starts with a comma and is not an attribute list.</summary>
        private bool Optional(Func<bool> group)
        {
            if (!Is(T.Punct, ",") || tokens[_at + 1] is { Type: T.Punct, Text: "[" })
                return true;
            return group();
        }

        private bool Comma() => Expect(T.Punct, ",");

        /// <summary>"id;" before the arguments of a relation (optionalIdentifier).</summary>
        private bool OptionalId()
        {
            if (tokens[_at + 1] is { Type: T.Punct, Text: ";" })
            {
                if (!(Is(T.Punct, "-") || Identifier()))
                    return false;
                if (Is(T.Punct, "-"))
                    Next();
                Next();
            }

            return true;
        }

        private bool Identifier()
        {
            if (!Is(T.Name))
                return Fail("expected an identifier (qualified name)");
            return Declared(Next().Text);
        }

        private bool IdOrMarker()
        {
            if (Is(T.Punct, "-"))
            {
                Next();
                return true;
            }

            return Identifier();
        }

        private bool TimeOrMarker()
        {
            if (Is(T.Punct, "-") || Is(T.Time))
            {
                Next();
                return true;
            }

            return Fail("expected a time or '-'");
        }

        private bool Attributes()
        {
            if (!Is(T.Punct, ","))
                return true;
            Next();
            if (!Expect(T.Punct, "["))
                return false;
            do
            {
                if (!Identifier() || !Expect(T.Punct, "=") || !Literal())
                    return false;
            }
            while (Is(T.Punct, ",") && Next() is not null);

            return Expect(T.Punct, "]");
        }

        private bool Literal()
        {
            if (Is(T.String))
            {
                Next();
                if (Is(T.Punct, "%%"))
                {
                    Next();
                    return Identifier();
                }

                return true;
            }

            if (Is(T.QNameLiteral))
                return Declared(Next().Text.Trim('\''));
            if (Is(T.Int))
            {
                Next();
                return true;
            }

            return Fail("expected a literal");
        }

        private bool Declared(string qualifiedName)
        {
            var colon = qualifiedName.IndexOf(':');
            if (colon > 0 && !_prefixes.Contains(qualifiedName[..colon]))
                return Fail($"prefix of '{qualifiedName}' is not declared");
            if (colon < 0)
                return Fail($"'{qualifiedName}' has no prefix and the document has no default namespace");
            return true;
        }
    }
}
