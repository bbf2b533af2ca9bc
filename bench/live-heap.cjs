// Preloaded into a measured process (`node --expose-gc --require bench/live-heap.cjs …`): every
// 250 ms a full GC, then the heap in use, i.e. what the process keeps alive rather than what V8 has
// not collected yet; the peak is printed on stderr at exit as `LIVE-HEAP-PEAK <MiB>`.
let peak = 0;
const timer = setInterval(() => {
  global.gc();
  peak = Math.max(peak, process.memoryUsage().heapUsed);
}, 250);
timer.unref();
process.on('exit', () => process.stderr.write(`LIVE-HEAP-PEAK ${(peak / 1048576).toFixed(1)}\n`));
