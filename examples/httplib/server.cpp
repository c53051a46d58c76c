// SPDX-License-Identifier: MIT
// jwtmint-httplib-server: GET /api/customgpt-jwt on cpp-httplib, whose thread pool runs the
// handlers; the token itself comes from examples/common/token_endpoint.hpp. README.md in this
// folder says how to run it.
#include "common/token_endpoint.hpp"

#include <httplib.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

namespace {

/// Loads the key and the policy, listens, and serves until SIGINT or SIGTERM.
int serve(const jwtmint_examples::endpoint_options& options) {
    using namespace std::chrono_literals;
    // SIGINT and SIGTERM are blocked before any thread starts, so that only the thread waiting for
    // them below receives them: stopping the server is not safe in a signal handler.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    const jwtmint_examples::token_endpoint endpoint(options);  // the key and the login policy, loaded once

    httplib::Server server;
    server.set_read_timeout(10s);         // to read a request
    server.set_write_timeout(10s);        // to write a response
    server.set_keep_alive_timeout(5);     // seconds an idle keep-alive connection holds a pool thread
    server.set_payload_max_length(1024);  // the endpoint reads no body
    server.set_tcp_nodelay(true);         // send each small response at once, not after the client's delayed ACK

    const std::string path(jwtmint_examples::token_path);
    server.Get(path, [&endpoint](const httplib::Request& req, httplib::Response& res) {
        res.set_header("Cache-Control", jwtmint_examples::token_cache_control);
        if (req.method != "GET") {  // httplib sends HEAD here too
            res.status = 405;
            res.set_header("Allow", "GET");
            return;
        }
        // Your auth middleware identifies the user from the request; the demo reads its session cookie.
        const jwtmint_examples::token_reply reply = endpoint.get(req.get_header_value("Cookie"));
        res.status = static_cast<int>(reply.status);
        res.set_content(reply.body, jwtmint_examples::token_content_type);
    });
    const auto method_not_allowed = [](const httplib::Request&, httplib::Response& res) {
        res.status = 405;
        res.set_header("Allow", "GET");
        res.set_content("use GET\n", jwtmint_examples::token_content_type);
    };
    server.Post(path, method_not_allowed)
        .Put(path, method_not_allowed)
        .Patch(path, method_not_allowed)
        .Delete(path, method_not_allowed)
        .Options(path, method_not_allowed);
    // Any other path: httplib's own 404.

    const int port = options.port == 0 ? server.bind_to_any_port("127.0.0.1")
                                       : (server.bind_to_port("127.0.0.1", options.port) ? options.port : -1);
    if (port < 0) {
        std::fprintf(stderr, "jwtmint-httplib-server: cannot listen on 127.0.0.1:%u (in use? try --port 0)\n",
                     static_cast<unsigned>(options.port));
        return 1;
    }
    std::printf("Demo session cookie (stand-in for your sign-in): %s\n", endpoint.demo_cookie().c_str());
    std::printf("Listening on http://127.0.0.1:%d\n", port);
    (void)std::fflush(stdout);

    std::atomic<bool> finished{false};
    std::thread stopper([&server, &stop_signals, &finished] {
        int signal_number = 0;
        sigwait(&stop_signals, &signal_number);
        // stop() before listen_after_bind() has started would be lost: wait for it to run.
        while (!server.is_running() && !finished) std::this_thread::sleep_for(10ms);
        server.stop();
    });
    const bool listened = server.listen_after_bind();  // returns after stop()
    finished = true;
    kill(getpid(), SIGTERM);  // wakes the stopper if it still waits; every thread blocks the signal
    stopper.join();
    return listened ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    return jwtmint_examples::endpoint_main(argc, argv, "jwtmint-httplib-server",
                                           "Serves GET /api/customgpt-jwt (widget login tokens) with cpp-httplib",
                                           serve);
}
