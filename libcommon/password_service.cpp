#include "libcommon/password_service.hpp"

#include <memory>

#include "libcommon/password.hpp"
#include "libcommon/worker_pool.hpp"

namespace usersuite {

bool PasswordService::hash(std::string password, std::function<void(const std::string&)> done) {
    auto result = std::make_shared<std::string>();
    return pool_.submit(
        [result, password = std::move(password), cost = cost_] { *result = hash_password(password, cost); },
        [result, done = std::move(done)] { done(*result); });
}

bool PasswordService::verify(std::string password, std::optional<std::string> stored, std::function<void(bool)> done) {
    auto ok = std::make_shared<bool>(false);
    return pool_.submit(
        [ok, password = std::move(password), stored = std::move(stored), cost = cost_] {
            if (stored) {
                *ok = verify_password(password, *stored);
            } else {
                try {
                    hash_password(password, cost);
                } catch (const std::exception&) {
                    // as verify_password fails fast for what libxcrypt refuses
                }
            }
        },
        [ok, done = std::move(done)] { done(*ok); });
}

}  // namespace usersuite
