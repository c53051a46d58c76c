// SPDX-License-Identifier: MIT
// jwtmint-beast-server: GET /api/customgpt-jwt on Boost.Beast. An asynchronous HTTP/1.1 server,
// one io_context run by a thread per core, a strand per connection; the token itself comes from
// examples/common/token_endpoint.hpp. README.md in this folder says how to run it.
#include "common/token_endpoint.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using jwtmint_examples::token_endpoint;

// What one client may send or make the server wait for.
constexpr std::uint32_t max_header_bytes = 8 * 1024;  // request line and header fields
constexpr std::uint64_t max_body_bytes = 1024;        // the endpoint reads no body
constexpr std::chrono::seconds io_timeout{10};        // to read a request (or wait for the next), to write a response

using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

response text_response(http::status status, unsigned version, bool keep_alive, std::string body) {
    response res{status, version};
    res.set(http::field::content_type, jwtmint_examples::token_content_type);
    res.keep_alive(keep_alive);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

/// The one route: the token for GET, 405 for other methods, 404 for other paths.
response route(const token_endpoint& endpoint, const request& req) {
    const beast::string_view target = req.target();
    const std::string_view path = std::string_view(target.data(), target.size()).substr(0, target.find('?'));
    if (path != jwtmint_examples::token_path) {
        return text_response(http::status::not_found, req.version(), req.keep_alive(), "not found\n");
    }
    if (req.method() != http::verb::get) {
        response res = text_response(http::status::method_not_allowed, req.version(), req.keep_alive(), "use GET\n");
        res.set(http::field::allow, "GET");
        return res;
    }
    // Your auth middleware identifies the user from the request; the demo reads its session cookie.
    const beast::string_view cookie = req[http::field::cookie];
    jwtmint_examples::token_reply reply = endpoint.get(std::string_view(cookie.data(), cookie.size()));
    response res = text_response(http::int_to_status(reply.status), req.version(), req.keep_alive(),
                                 std::move(reply.body));
    res.set(http::field::cache_control, jwtmint_examples::token_cache_control);
    return res;
}

/// One connection: reads requests under the limits and answers them in turn while it is kept alive.
class connection : public std::enable_shared_from_this<connection> {
public:
    connection(tcp::socket&& socket, const token_endpoint& endpoint)
        : stream_(std::move(socket)), endpoint_(endpoint) {}

    void start() {
        // On the connection's strand, as every later step is.
        net::dispatch(stream_.get_executor(), beast::bind_front_handler(&connection::read, shared_from_this()));
    }

private:
    void read() {
        parser_.emplace();  // a new parser per request: the limits apply to each one
        parser_->header_limit(max_header_bytes);
        parser_->body_limit(max_body_bytes);
        stream_.expires_after(io_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&connection::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t /*bytes*/) {
        if (ec == http::error::end_of_stream) return close();
        if (ec == http::error::header_limit) return refuse(http::status::request_header_fields_too_large);
        if (ec == http::error::body_limit) return refuse(http::status::payload_too_large);
        if (ec.category() == http::make_error_code(http::error::bad_target).category()) {
            return refuse(http::status::bad_request);  // not HTTP/1.x
        }
        if (ec) return;  // a timeout or a connection error: the stream is closed as this goes
        write(route(endpoint_, parser_->get()));
    }

    /// Answers a request that broke a limit or the syntax, then closes the connection.
    void refuse(http::status status) { write(text_response(status, 11, false, "request refused\n")); }

    void write(response res) {
        res_ = std::move(res);
        stream_.expires_after(io_timeout);
        http::async_write(stream_, res_, beast::bind_front_handler(&connection::on_write, shared_from_this()));
    }

    void on_write(beast::error_code ec, std::size_t /*bytes*/) {
        if (ec) return;
        if (res_.need_eof()) return close();
        read();
    }

    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    response res_;
    const token_endpoint& endpoint_;
};

/// Accepts connections until the acceptor is closed, each on a strand of its own.
void accept(tcp::acceptor& acceptor, const token_endpoint& endpoint) {
    auto on_accept = [&acceptor, &endpoint](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted) return;
        if (!ec) {
            std::make_shared<connection>(std::move(socket), endpoint)->start();
            return accept(acceptor, endpoint);
        }
        // Out of file descriptors, most likely: try again shortly rather than spin.
        std::fprintf(stderr, "accept: %s\n", ec.message().c_str());
        auto pause = std::make_shared<net::steady_timer>(acceptor.get_executor(), std::chrono::milliseconds(100));
        pause->async_wait([pause, &acceptor, &endpoint](beast::error_code) { accept(acceptor, endpoint); });
    };
    acceptor.async_accept(net::make_strand(acceptor.get_executor()), std::move(on_accept));
}

/// Loads the key and the policy, listens, and serves until SIGINT or SIGTERM.
int serve(const jwtmint_examples::endpoint_options& options) {
    const token_endpoint endpoint(options);  // the key and the login policy, loaded once

    net::io_context ioc;
    tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), options.port));
    accept(acceptor, endpoint);
    net::signal_set stop_signals(ioc, SIGINT, SIGTERM);
    stop_signals.async_wait([&ioc](beast::error_code, int) { ioc.stop(); });

    std::printf("Demo session cookie (stand-in for your sign-in): %s\n", endpoint.demo_cookie().c_str());
    std::printf("Listening on http://127.0.0.1:%u\n", static_cast<unsigned>(acceptor.local_endpoint().port()));
    (void)std::fflush(stdout);

    std::vector<std::thread> threads;
    for (unsigned i = 1; i < std::max(1U, std::thread::hardware_concurrency()); ++i) {
        threads.emplace_back([&ioc] { ioc.run(); });
    }
    ioc.run();
    for (std::thread& t : threads) t.join();
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    return jwtmint_examples::endpoint_main(argc, argv, "jwtmint-beast-server",
                                           "Serves GET /api/customgpt-jwt (widget login tokens) with Boost.Beast",
                                           serve);
}
