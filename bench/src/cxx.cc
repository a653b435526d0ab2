// One static C++ binary for three benchmarks (libstdc++ linked once):
//   cxx map N | cxx exceptions N | cxx sharedptr N
#include <cstring>
#include <iostream>

int containers_main(int argc, char** argv);
int exceptions_main(int argc, char** argv);
int sharedptr_main(int argc, char** argv);

int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "";
  if (!std::strcmp(what, "map")) return containers_main(argc - 1, argv + 1);
  if (!std::strcmp(what, "exceptions")) return exceptions_main(argc - 1, argv + 1);
  if (!std::strcmp(what, "sharedptr")) return sharedptr_main(argc - 1, argv + 1);
  std::cerr << "usage: cxx map|exceptions|sharedptr N" << std::endl;
  return 2;
}
