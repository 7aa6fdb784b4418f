// Background checking (issue 12), add-on side: the real queue (extension/lib/arrival.js) over
// a fake Thunderbird folder of N messages (made page by page, as messages.list pages them) and
// an instant fake host, so only the add-on's own work and memory are measured.
//
//   node --expose-gc bench/bench_arrival_addon.mjs [N]
//
// Prints messages/s and the JS heap after a full GC at 10 points: with bounded structures the
// heap stays flat once the kept-results store is full (it holds at most 20,000 records).
import { performance } from "node:perf_hooks";

import { createArrival, stagesLine } from "../extension/lib/arrival.js";
import { HostClient } from "../extension/lib/hostclient.js";
import { memoryStorage } from "../extension/lib/idb-kv.js";
import { INBOX, fakeMailBrowser, mail, translate, verdictPayload } from "../tests/extension/arrival-fakes.mjs";
import { FakeHost, helloResponse } from "../tests/extension/helpers.mjs";

const N = Number(process.argv[2] ?? 10000);
if (typeof globalThis.gc !== "function") {
  console.error("run with node --expose-gc for heap figures");
}
const host = new FakeHost((frame) => {
  if (frame.type === "hello") return [helloResponse(frame.id)];
  return [{ type: "result", protocol_version: 1, id: frame.id, partial: false, payload: verdictPayload(frame) }];
});
let checks = 0;
host.received = { push: (f) => (checks += f.type === "check" ? 1 : 0), filter: () => [] };
const b = fakeMailBrowser({ generate: (id) => mail(id, { danger: id % 997 === 0 }), generated: N });
const client = new HostClient({ connectNative: host.connectNative });
const arrival = createArrival({
  browser: b,
  client,
  translate,
  storage: memoryStorage(),
  log: { warn() {}, info() {} },
  getOptions: async () => ({ locale: "en", wire: { locale: "en", offline: true, trusted_authserv_ids: [], nameservers: [] } }),
});
await arrival.start();
const heap = () => {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 1e6;
};
const samples = [[0, heap()]];
const t0 = performance.now();
arrival.checkFolder(INBOX);
let next = N / 10;
while (true) {
  await new Promise((r) => setTimeout(r, 20));
  const job = arrival.status().jobs[0];
  if (job && job.done >= next) {
    samples.push([job.done, heap()]);
    next += N / 10;
  }
  if (job?.state === "done") break;
}
const s = (performance.now() - t0) / 1000;
console.log(`${N} messages, add-on side (instant fake host): ${s.toFixed(1)} s = ${Math.round(N / s)} messages/s; ${checks} host requests`);
console.log(`heap after GC, MB: ${samples.map(([n, mb]) => `${n}:${mb.toFixed(1)}`).join(", ")}`);
console.log(`kept records: ${arrival.store.size}`);
const job = arrival.status().jobs[0];
console.log(`stages, ms per message (summed over overlapping checks): ${stagesLine(job.stages, job.done)}`);
