// C++ exceptions thrown through several frames and caught (unwinder, RTTI,
// typed catch clauses). Argument: number of throws.
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>

struct Deep : std::runtime_error {
  int depth;
  Deep(const std::string& m, int d) : std::runtime_error(m), depth(d) {}
};

struct Guard {
  long* counter;
  explicit Guard(long* c) : counter(c) {}
  ~Guard() { ++*counter; }
};

static long unwound = 0;

__attribute__((noinline)) static long dive(int depth, long i) {
  Guard g(&unwound);
  if (depth == 0) {
    if (i % 3 == 0) throw Deep("deep " + std::to_string(i % 10), (int)(i % 5));
    if (i % 3 == 1) throw std::out_of_range("range");
    throw (int)(i & 0xff);
  }
  return dive(depth - 1, i) + 1;
}

int exceptions_main(int argc, char** argv) {
  long n = argc > 1 ? std::atol(argv[1]) : 20000;
  long deep = 0, range = 0, ints = 0, sum = 0;
  for (long i = 0; i < n; i++) {
    try {
      sum += dive(4 + (int)(i % 4), i);
    } catch (const Deep& e) {
      deep++;
      sum += e.depth + (long)e.what()[5];
    } catch (const std::exception& e) {
      range++;
      sum += (long)std::string(e.what()).size();
    } catch (int v) {
      ints++;
      sum += v;
    }
  }
  std::cout << "throws " << n << " deep " << deep << " range " << range << " int " << ints << " unwound " << unwound
            << " sum " << sum << "\n";
  return 0;
}
