// std::map, std::unordered_map and std::string under load, printed through
// iostream: word counting over a generated text. Argument: number of words.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

int containers_main(int argc, char** argv) {
  long n = argc > 1 ? std::atol(argv[1]) : 200000;
  uint32_t x = 12345;
  std::vector<std::string> vocab;
  for (int k = 0; k < 5000; k++) {
    std::string w;
    int len = 3 + k % 9;
    for (int j = 0; j < len; j++) {
      x = x * 1103515245u + 12345u;
      w += char('a' + (x >> 16) % 26);
    }
    vocab.push_back(w);
  }
  std::unordered_map<std::string, long> counts;
  std::map<std::string, long> ordered;
  std::string text;
  for (long i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    const std::string& w = vocab[(x >> 8) % vocab.size()];
    counts[w]++;
    if (i % 7 == 0) ordered[w + std::to_string(i % 100)] += i;
    if (text.size() < 4096) text += w + ' ';
  }
  uint64_t h = 1469598103934665603ull;
  for (const auto& [k, v] : ordered) {
    for (char c : k) h = (h ^ (unsigned char)c) * 1099511628211ull;
    h ^= (uint64_t)v;
  }
  long most = 0;
  std::string best;
  for (const auto& [k, v] : counts)
    if (v > most || (v == most && k < best)) most = v, best = k;
  std::cout << "words " << n << " distinct " << counts.size() << " keys " << ordered.size() << " top " << best << "="
            << most << " hash " << std::hex << h << std::dec << " text " << text.size() << std::endl;
  return 0;
}
