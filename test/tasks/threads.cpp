// C++ std::thread, std::async, mutex/condition_variable, call_once (test/tasks.test.ts builds it with g++ -static)
#include <thread>
#include <future>
#include <vector>
#include <atomic>
#include <mutex>
#include <condition_variable>
#include <iostream>
int main() {
  std::atomic<long> n{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; i++) ts.emplace_back([&] { for (int j = 0; j < 10000; j++) n++; });
  for (auto &t : ts) t.join();
  auto f = std::async(std::launch::async, [] { return 6 * 7; });
  std::mutex m; std::condition_variable cv; bool ready = false; int got = 0;
  std::thread w([&] { std::unique_lock<std::mutex> l(m); cv.wait(l, [&] { return ready; }); got = 1; });
  { std::lock_guard<std::mutex> l(m); ready = true; } cv.notify_one(); w.join();
  std::call_once(*new std::once_flag, [] { std::cout << "once\n"; });
  std::cout << "n=" << n << " async=" << f.get() << " cv=" << got << std::endl;
}
