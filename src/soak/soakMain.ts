// `npm run soak -- --minutes N [--rate R] [--seed S]`: the chaos soak (see chaosSoak.ts); prints
// the kills survived and the rows checked, and exits 1 unless every check held.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { flag } from '../bench/benchSupport.ts';
import { createLogger, setLogLevel } from '../logger.ts';
import { runChaosSoak } from './chaosSoak.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
setLogLevel('info');
const log = createLogger({});
const minutes = flag('minutes', 10);
process.stderr.write(
  `chaos soak: ${String(minutes)} min of load while stages, broker, registry and Redis are killed at random…\n`,
);
const report = await runChaosSoak({
  projectRoot: root,
  minutes,
  rate: flag('rate', 1000),
  seed: flag('seed', 1),
  killEverySeconds: [8, 20],
  log,
});
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
const kills = Object.values(report.kills).reduce((a, b) => a + b, 0);
process.stderr.write(
  `${report.ok ? 'PASSED' : 'FAILED'}: ${String(kills)} kills survived (${Object.entries(report.kills)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(
      ', ',
    )}); ${String(report.produced)} events produced (${String(report.archive.topicRecords)} records with the producer's retries), ${String(report.archive.rows)} rows / ${String(
    report.archive.distinctEvents,
  )} distinct / ${String(report.archive.visibleRows)} visible in ClickHouse; ${String(report.windows.found)} metric windows checked against ${String(
    report.windows.expected,
  )} from a crash-free fold, ${String(report.windows.mismatched.length)} differing\n`,
);
process.exit(report.ok ? 0 : 1);
