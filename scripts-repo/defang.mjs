// Defang indicators so they can be pasted into tickets and mails without becoming links:
// input { values: string[] } → { defanged: string[] }.
const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
const values = Array.isArray(input.values) ? input.values.map(String) : [];
const defang = (v) => v.replace(/^http/i, 'hxxp').replace(/\./g, '[.]').replace(/@/g, '[@]').replace(/:\/\//, '[://]');
process.stdout.write(JSON.stringify({ defanged: values.map(defang) }));
