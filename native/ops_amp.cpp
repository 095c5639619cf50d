// Automatic mixed precision: autocast regions as torch.autocast opens them.
#include "hemoseg.h"

#include <ATen/autocast_mode.h>

using namespace hemoseg;

static at::DeviceType deviceType(const std::string& s) { return at::Device(s).type(); }

// autocastEnter(device, dtype) -> previous enabled state (pass it back to autocastExit).
OP(autocastEnter) {
  auto dt = deviceType(a.s(0));
  bool prev = at::autocast::is_autocast_enabled(dt);
  at::autocast::set_autocast_enabled(dt, true);
  at::autocast::set_autocast_dtype(dt, a.dtype(1));
  at::autocast::increment_nesting();
  return Napi::Boolean::New(a.env, prev);
}

// autocastExit(device, previous): leaves the region; the cast cache is cleared at the outermost exit.
OP(autocastExit) {
  auto dt = deviceType(a.s(0));
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(dt, a.b(1));
  return a.none();
}
