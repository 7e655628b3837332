// One run of an external command (the sendmail of SENDMAIL_COMMAND) watched
// from the event loop: its input comes from an anonymous file, its output
// goes to another, and its exit is seen through a pidfd, so the loop never
// waits on a pipe or in waitpid().
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "libcommon/event_loop.hpp"

namespace usersuite {

class ChildProcess {
public:
    // The status passed to Done when the command was reaped by someone else.
    static constexpr int kStatusUnknown = -1;

    // status: as waitpid() reports it, or kStatusUnknown; output: the first 4 KiB of what the
    // command wrote to stdout and stderr.
    using Done = std::function<void(int status, const std::string& output)>;

    // Starts argv[0] (searched in PATH), in a process group of its own, with
    // `environment` (NAME=value) added to ours, replacing the same names.
    // Throws std::runtime_error when it cannot be started.
    ChildProcess(EventLoop& loop, const std::vector<std::string>& argv, const std::vector<std::string>& environment,
                 const std::string& input, Done done);
    // A command still running is killed (SIGKILL to its process group) and reaped.
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

private:
    static void on_exit(int, short, void* self);
    pid_t pid_ = -1;
    int pidfd_ = -1;
    int output_fd_ = -1;
    Done done_;
    EventPtr exit_event_;
};

// "a b  c" -> {"a", "b", "c"}: SENDMAIL_COMMAND is split at spaces, with no shell.
std::vector<std::string> split_command(const std::string& command);

// "exited with status 3: <output>", "killed by signal 9".
std::string describe_exit(int status, const std::string& output);

}  // namespace usersuite
