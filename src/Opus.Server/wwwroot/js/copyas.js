// "Copy as": the same job (definition, parameters, inputs by their store reference or URL, RUN ID) as a command
// another tool runs: curl (bash), the Opus PowerShell module, or Python (requests + pyvo's UWS parser).
// Every value is quoted for its language so that quotes, spaces, $ and backticks arrive exactly as they are.
import { storeReference } from './api.js';

/** A bash word: '...' with each ' written as '\''. */
export const bashQuote = value => `'${String(value).replace(/'/g, `'\\''`)}'`;

/** A PowerShell verbatim string: '...' with each ' (and its typographic forms, which PowerShell also ends strings on) doubled. */
export const psQuote = value => `'${String(value).replace(/['\u2018\u2019\u201a\u201b]/g, q => q + q)}'`;

/** A Python string literal: JSON's escapes are Python's. */
export const pyQuote = value => JSON.stringify(String(value));

/** The form fields that create the job again: [name, value] pairs, control parameters last. */
export function jobFields(job) {
  const fields = job.parameters.map(p => [p.id, p.byReference ? storeReference(p.value) : p.value]);
  if (job.runId) fields.push(['RUNID', job.runId]);
  return fields;
}

/** curl creating the job started (PHASE=RUN); prints the new job's URL. */
export function curlCommand(job, definition, baseUrl) {
  const lines = [`curl -sS --fail-with-body -o /dev/null -w '%{redirect_url}\\n'`,
    `-H "Authorization: Bearer $OPUS_TOKEN"`,
    ...jobFields(job).map(([name, value]) => `--data-urlencode ${bashQuote(`${name}=${value}`)}`),
    `--data-urlencode 'PHASE=RUN'`,
    bashQuote(`${baseUrl}/rest/${encodeURIComponent(definition)}`)];
  return lines.join(' \\\n  ') + '\n';
}

/** The module's cmdlets: Connect-OpusServer with the token of $env:OPUS_TOKEN, New-UwsJob -Start. */
export function powershellCommand(job, definition, baseUrl, userName) {
  const values = new Map();
  for (const p of job.parameters) {
    const value = p.byReference ? storeReference(p.value) : p.value;
    values.set(p.id, [...(values.get(p.id) || []), value]);
  }
  const table = [...values].map(([name, list]) => `${psQuote(name)} = ${list.length === 1 ? psQuote(list[0]) : `@(${list.map(psQuote).join(', ')})`}`);
  const credential = userName
    ? ` -Credential ([pscredential]::new(${psQuote(userName)}, (ConvertTo-SecureString $env:OPUS_TOKEN -AsPlainText -Force)))`
    : '';
  return [
    'Import-Module Opus',
    `$session = Connect-OpusServer -Uri ${psQuote(baseUrl)}${credential}`,
    `New-UwsJob -Session $session -Definition ${psQuote(definition)} -Parameter @{ ${table.join('; ')} }${job.runId ? ` -RunId ${psQuote(job.runId)}` : ''} -Start`,
    '',
  ].join('\n');
}

/** Python: the job created with requests (POST, PHASE=RUN), its UWS document read by pyvo.io.uws.parse_job. */
export function pythonSnippet(job, definition, baseUrl) {
  const fields = [...jobFields(job), ['PHASE', 'RUN']].map(([name, value]) => `    (${pyQuote(name)}, ${pyQuote(value)}),`);
  return [
    'import io, os',
    'import requests',
    'from pyvo.io.uws import parse_job',
    '',
    `url = ${pyQuote(`${baseUrl}/rest/${encodeURIComponent(definition)}`)}`,
    'fields = [',
    ...fields,
    ']',
    'response = requests.post(url, data=fields, headers={"Authorization": "Bearer " + os.environ["OPUS_TOKEN"]})',
    'response.raise_for_status()',
    'job = parse_job(io.BytesIO(response.content))',
    'print(response.url)',
    'print(job.jobid, job.phase)',
    '',
  ].join('\n');
}
