/**
 * 16-byte scratch registers shared by the SSE families, with typed views:
 * S* holds the source operand, R* a result being built, D* a copy of the
 * destination. Handlers use them transiently (no allocation per instruction).
 */
function views(b: ArrayBuffer) {
  return {
    i32: new Int32Array(b),
    u8: new Uint8Array(b),
    i8: new Int8Array(b),
    u16: new Uint16Array(b),
    i16: new Int16Array(b),
    f32: new Float32Array(b),
    f64: new Float64Array(b),
  };
}
const S = views(new ArrayBuffer(16));
const R = views(new ArrayBuffer(16));
const D = views(new ArrayBuffer(16));

export const { i32: S32, u8: SU8, i8: SI8, u16: SU16, i16: SI16, f32: SF32, f64: SF64 } = S;
export const { i32: R32, u8: RU8, i8: RI8, u16: RU16, i16: RI16, f32: RF32, f64: RF64 } = R;
export const { i32: D32, u8: DU8, i8: DI8, u16: DU16, i16: DI16, f32: DF32, f64: DF64 } = D;
