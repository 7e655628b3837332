#include "libcommon/pg_client.hpp"

namespace usersuite {

namespace {
constexpr std::chrono::seconds kOverflowIdle{30};
}

PgClient::PgClient(EventLoop& loop, PgSettings settings)
    : loop_(loop), settings_(std::move(settings)), shrink_(loop, [this] { close_idle_overflow(); }) {}

void PgClient::query(std::string sql, PgParams params, std::chrono::milliseconds timeout, PgStatement kind,
                     Callback cb) {
    PgConnection* best = nullptr;
    for (auto& c : connections_)
        if (best == nullptr || c->load() < best->load()) best = c.get();
    // A new connection while every one is busy, up to the pool and its overflow.
    if ((best == nullptr || best->load() > 0) &&
        connections_.size() < settings_.pool_size + settings_.max_overflow) {
        connections_.push_back(
            std::make_unique<PgConnection>(loop_, settings_.url, settings_.application_name, settings_.echo,
                                           settings_.statement_timeout));
        best = connections_.back().get();
        if (connections_.size() > settings_.pool_size) shrink_.arm(kOverflowIdle);
    }
    best->query(std::move(sql), std::move(params), timeout, kind, std::move(cb));
}

void PgClient::close_idle_overflow() {
    while (connections_.size() > settings_.pool_size && connections_.back()->load() == 0) connections_.pop_back();
    if (connections_.size() > settings_.pool_size) shrink_.arm(kOverflowIdle);
}

}  // namespace usersuite
