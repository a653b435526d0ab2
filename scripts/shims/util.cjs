// Browser stand-in for node:util, as used by elfy (util.inherits only).
exports.inherits = function inherits(ctor, superCtor) {
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
  ctor.super_ = superCtor;
};
