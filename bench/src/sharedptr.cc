// std::shared_ptr and std::weak_ptr (atomic reference counts), virtual calls,
// make_shared and a list rebuilt many times. Argument: number of rounds.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <vector>

struct Node {
  virtual ~Node() = default;
  virtual uint64_t value() const = 0;
  std::shared_ptr<Node> next;
  std::weak_ptr<Node> prev;
};
struct Leaf : Node {
  uint64_t v;
  explicit Leaf(uint64_t x) : v(x) {}
  uint64_t value() const override { return v; }
};
struct Twice : Node {
  uint64_t v;
  explicit Twice(uint64_t x) : v(x) {}
  uint64_t value() const override { return v * 2 + 1; }
};

int sharedptr_main(int argc, char** argv) {
  long rounds = argc > 1 ? std::atol(argv[1]) : 200;
  uint64_t total = 0, alive = 0;
  for (long r = 0; r < rounds; r++) {
    std::shared_ptr<Node> head;
    std::vector<std::shared_ptr<Node>> keep;
    for (int i = 0; i < 1000; i++) {
      std::shared_ptr<Node> n;
      if ((i + r) % 3 == 0) n = std::make_shared<Twice>(i + r);
      else n = std::make_shared<Leaf>(i ^ r);
      n->next = head;
      if (head) head->prev = n;
      head = n;
      if (i % 10 == 0) keep.push_back(n);
    }
    for (auto p = head; p; p = p->next) {
      total += p->value();
      if (auto q = p->prev.lock()) total += q->value() & 7;
    }
    for (auto& k : keep) alive += k.use_count();
  }
  std::cout << "rounds " << rounds << " total " << total << " alive " << alive << std::endl;
  return 0;
}
