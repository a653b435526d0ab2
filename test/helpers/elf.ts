/** A minimal ELF64 x86-64 executable builder: one PT_LOAD segment holding `code` (tests without as/ld). */
export function makeElf(code: Uint8Array, opts: { vaddr?: number; flags?: number; bss?: number } = {}): Uint8Array {
  const vaddr = opts.vaddr ?? 0x401000;
  const flags = opts.flags ?? 5; // R+X
  const hdr = 64;
  const ph = 56;
  const off = 0x1000;
  const out = new Uint8Array(off + code.length);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 62, true); // EM_X86_64
  dv.setUint32(20, 1, true);
  dv.setBigUint64(24, BigInt(vaddr), true); // entry
  dv.setBigUint64(32, BigInt(hdr), true); // phoff
  dv.setUint16(52, hdr, true);
  dv.setUint16(54, ph, true);
  dv.setUint16(56, 1, true);
  dv.setUint16(58, 64, true);
  dv.setUint32(hdr, 1, true); // PT_LOAD
  dv.setUint32(hdr + 4, flags, true);
  dv.setBigUint64(hdr + 8, BigInt(off), true);
  dv.setBigUint64(hdr + 16, BigInt(vaddr), true);
  dv.setBigUint64(hdr + 24, BigInt(vaddr), true);
  dv.setBigUint64(hdr + 32, BigInt(code.length), true);
  dv.setBigUint64(hdr + 40, BigInt(code.length + (opts.bss ?? 0)), true);
  dv.setBigUint64(hdr + 48, 0x1000n, true);
  out.set(code, off);
  return out;
}
