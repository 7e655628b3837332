// Prints the milliseconds one bcrypt hash takes at a cost, on one core:
// the yardstick of the login benchmark.  usage: bcrypt-time [cost [rounds]]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "libcommon/password.hpp"

int main(int argc, char** argv) {
    int cost = argc > 1 ? std::atoi(argv[1]) : 12;
    int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < rounds; ++i) usersuite::hash_password("benchmark-password", cost);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("%.1f\n", ms / rounds);
    return 0;
}
