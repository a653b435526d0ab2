/**
 * gdb's remote protocol numbers signals its own way (gdb's include/gdb/signals.def, the
 * numbering of the historical Sun signals), not Linux's: SIGBUS is 10 there, SIGUSR1 30.
 * gdbserver translates both ways, and so does the stub: stop replies (T, X) carry gdb's
 * number, and C/S/vCont packets are read back into Linux's.
 */

/** gdb's number for Linux x86-64 signals 1..31 (index = Linux number); 143 is gdb's "unknown". */
const LOW: readonly number[] = [
  0, 1, 2, 3, 4, 5, 6, 10, 8, 9, 30, 11, 31, 13, 14, 15,
  143, 20, 19, 17, 18, 21, 22, 16, 24, 25, 26, 27, 28, 23, 32, 12,
];
const GDB_UNKNOWN = 143;

/** Real-time signals: Linux 32 is gdb's REALTIME_32 (77), 33..63 are 45..75, 64 is 78. */
export function linuxToGdb(sig: number): number {
  if (sig >= 0 && sig < 32) return LOW[sig];
  if (sig === 32) return 77;
  if (sig <= 63) return sig + 12;
  if (sig === 64) return 78;
  return GDB_UNKNOWN;
}

/** The Linux number of gdb's signal, or -1 when Linux has none (e.g. gdb's SIGEMT). */
export function gdbToLinux(g: number): number {
  for (let s = 0; s <= 64; s++) if (linuxToGdb(s) === g && g !== GDB_UNKNOWN) return s;
  return -1;
}
