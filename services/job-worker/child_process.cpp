#include "services/job-worker/child_process.hpp"

#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace usersuite {

namespace {

constexpr std::size_t kOutputLimit = 4096;

int anonymous_file(const char* name) {
    int fd = ::memfd_create(name, MFD_CLOEXEC);
    if (fd < 0) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
    return fd;
}

void write_all(int fd, const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw std::runtime_error(std::string("writing the command's input: ") + std::strerror(errno));
        done += static_cast<std::size_t>(n);
    }
    ::lseek(fd, 0, SEEK_SET);
}

std::string read_output(int fd) {
    std::string out(kOutputLimit, '\0');
    ssize_t n = ::pread(fd, out.data(), out.size(), 0);
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

}  // namespace

std::vector<std::string> split_command(const std::string& command) {
    std::vector<std::string> out;
    std::istringstream in(command);
    for (std::string word; in >> word;) out.push_back(word);
    return out;
}

std::string describe_exit(int status, const std::string& output) {
    if (status == ChildProcess::kStatusUnknown) return "ended, but its exit status is unknown (reaped elsewhere)";
    std::string what = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                       : WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                             : "ended with wait status " + std::to_string(status);
    return output.empty() ? what : what + ": " + output;
}

ChildProcess::ChildProcess(EventLoop& loop, const std::vector<std::string>& argv,
                           const std::vector<std::string>& environment, const std::string& input, Done done)
    : done_(std::move(done)) {
    if (argv.empty()) throw std::runtime_error("empty command");
    int input_fd = anonymous_file("child-input");
    try {
        output_fd_ = anonymous_file("child-output");
        write_all(input_fd, input);
    } catch (...) {
        ::close(input_fd);
        if (output_fd_ >= 0) ::close(output_fd_);
        output_fd_ = -1;
        throw;
    }

    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    // Ours, minus the names `environment` sets: getenv() takes the first.
    auto overridden = [&](const char* e) {
        for (const std::string& x : environment) {
            std::size_t eq = x.find('=');
            if (std::strncmp(e, x.c_str(), eq + 1) == 0) return true;
        }
        return false;
    };
    std::vector<char*> env;
    for (char** e = environ; *e != nullptr; ++e)
        if (!overridden(*e)) env.push_back(*e);
    for (const std::string& e : environment) env.push_back(const_cast<char*>(e.c_str()));
    env.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, input_fd, 0);
    posix_spawn_file_actions_adddup2(&actions, output_fd_, 1);
    posix_spawn_file_actions_adddup2(&actions, output_fd_, 2);
    // Nothing else of ours (Redis connections from hiredis, which sets no
    // close-on-exec) reaches the command.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // The daemon ignores SIGPIPE and blocks nothing; the command starts with defaults.
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGHUP);
    sigaddset(&defaults, SIGCHLD);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
    int rc = ::posix_spawnp(&pid_, args[0], &actions, &attr, args.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(input_fd);
    if (rc != 0) {
        ::close(output_fd_);
        throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
    }
    pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd_ < 0) {
        int err = errno;
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        ::close(output_fd_);
        throw std::runtime_error(std::string("pidfd_open: ") + std::strerror(err));
    }
    exit_event_.reset(event_new(loop.base(), pidfd_, EV_READ, &ChildProcess::on_exit, this));
    event_add(exit_event_.get(), nullptr);
}

ChildProcess::~ChildProcess() {
    exit_event_.reset();
    if (pid_ > 0) {
        ::kill(-pid_, SIGKILL);  // its process group: helpers it started go too
        ::kill(pid_, SIGKILL);   // and the command itself, should it have left the group
        ::waitpid(pid_, nullptr, 0);  // prompt after SIGKILL
    }
    if (pidfd_ >= 0) ::close(pidfd_);
    if (output_fd_ >= 0) ::close(output_fd_);
}

void ChildProcess::on_exit(int, short, void* arg) {
    auto* self = static_cast<ChildProcess*>(arg);
    int status = 0;
    pid_t got = ::waitpid(self->pid_, &status, WNOHANG);
    if (got == 0) {  // not yet; the event fires once, so wait for it again
        event_add(self->exit_event_.get(), nullptr);
        return;
    }
    if (got < 0) status = ChildProcess::kStatusUnknown;  // reaped by someone else
    self->pid_ = -1;
    std::string output = read_output(self->output_fd_);
    Done done = std::move(self->done_);
    done(status, output);  // may destroy self
}

}  // namespace usersuite
