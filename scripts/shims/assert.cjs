// Browser stand-in for node:assert, as used by elfy (only assert.equal on a path we never take).
function assert(v, msg) {
  if (!v) throw new Error(msg || "assertion failed");
}
assert.equal = (a, b, msg) => {
  if (a != b) throw new Error(msg || `${a} != ${b}`);
};
module.exports = assert;
