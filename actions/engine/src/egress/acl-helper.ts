/**
 * The egress decision as a squid external ACL helper: a long-running process that squid starts
 * (as its `proxy` user) with the policy file as argument, asks about every request on stdin and
 * reads the answers on stdout. Built with the pure modules it imports into one plain ES module
 * (scripts/build-egress-helper.ts, committed as egress-helper/acl-helper.mjs), which squid runs
 * with Node's own binary from a copy the proxy user can read (squid.ts).
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { answerLine } from './acl-protocol.ts';
import type { EgressPolicy } from './policy.ts';

const policyFile = process.argv[2];
if (!policyFile) {
  process.stderr.write('usage: acl-helper.mjs <policy.json>\n');
  process.exit(2);
}
const policy = JSON.parse(readFileSync(policyFile, 'utf8')) as EgressPolicy;
const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
lines.on('line', (line) => {
  process.stdout.write(`${answerLine(line, policy)}\n`);
});
// squid closes stdin when it stops or restarts its helpers.
lines.on('close', () => process.exit(0));
