// The streaming form reader of POST /api/recognize: the `video` field's bytes come out whole and
// unchanged however the body is cut into chunks (byte at a time, random cuts, a delimiter split
// across chunks), as libsoup's whole-body parser reads the same forms; malformed bodies are refused.
#include <gtest/gtest.h>

#include <random>

#include "transport/multipart_field.h"

namespace sueo::transport {
namespace {

constexpr const char* kBoundary = "----formdata-undici-0123456789";

std::string part(const std::string& headers, const std::string& data) {
  return std::string("--") + kBoundary + "\r\n" + headers + "\r\n\r\n" + data + "\r\n";
}
std::string closing() { return std::string("--") + kBoundary + "--\r\n"; }

std::string video_bytes(size_t n, unsigned seed) {
  std::mt19937 random(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(random());
  // Near-delimiters in the data: CR LF "--" and the boundary's start, which must stay data.
  const std::string near = std::string("\r\n--") + std::string(kBoundary).substr(0, 12);
  for (size_t at = 100; at + near.size() < n; at += n / 7) out.replace(at, near.size(), near);
  return out;
}

struct Result {
  bool ok = false, complete = false;
  std::string data, file;
};

// Feeds `body` in chunks of the given sizes (cycled).
Result read(const std::string& body, const std::vector<size_t>& cuts) {
  Result r;
  MultipartField reader(kBoundary, "video", [&r](std::string_view d) { r.data.append(d); return true; });
  r.ok = true;
  for (size_t at = 0, i = 0; at < body.size(); ++i) {
    const size_t n = std::min(cuts[i % cuts.size()], body.size() - at);
    r.ok = reader.feed(std::string_view(body).substr(at, n)) && r.ok;
    at += n;
  }
  r.complete = reader.complete();
  r.file = reader.file_name();
  EXPECT_EQ(reader.field_bytes(), static_cast<int64_t>(r.data.size()));
  return r;
}

std::string browser_form(const std::string& video) {
  return part("Content-Disposition: form-data; name=\"note\"", "hello") +
         part("Content-Disposition: form-data; name=\"video\"; filename=\"clip one.mp4\"\r\nContent-Type: video/mp4", video) +
         closing();
}

TEST(MultipartField, TheVideoFieldWholeHoweverTheBodyIsCut) {
  const std::string video = video_bytes(200000, 1);
  const std::string body = browser_form(video);
  std::mt19937 random(7);
  std::vector<std::vector<size_t>> cuts = {{body.size()}, {1}, {8192}, {3, 5, 7}, {31}};
  for (int i = 0; i < 20; ++i) {
    std::vector<size_t> c;
    for (int j = 0; j < 50; ++j) c.push_back(1 + random() % 20000);
    cuts.push_back(c);
  }
  for (const auto& c : cuts) {
    const Result r = read(body, c);
    ASSERT_TRUE(r.ok);
    ASSERT_TRUE(r.complete);
    ASSERT_EQ(r.data.size(), video.size());
    ASSERT_EQ(r.data, video);
    EXPECT_EQ(r.file, "clip one.mp4");
  }
}

TEST(MultipartField, EveryCutOfTheDelimiterBetweenTwoChunks) {
  const std::string video = "abc\r\n-\r\n--x";
  const std::string body = browser_form(video);
  for (size_t cut = 1; cut < body.size(); ++cut) {
    Result r;
    MultipartField reader(kBoundary, "video", [&r](std::string_view d) { r.data.append(d); return true; });
    ASSERT_TRUE(reader.feed(std::string_view(body).substr(0, cut)));
    ASSERT_TRUE(reader.feed(std::string_view(body).substr(cut)));
    ASSERT_TRUE(reader.complete()) << cut;
    ASSERT_EQ(r.data, video) << cut;
  }
}

TEST(MultipartField, SameFieldAsLibsoupsWholeBodyParser) {
  // Preamble and epilogue, the boundary inside data (not followed by CRLF or "--": data), a part
  // without headers, an unquoted name, empty video data, the first of two video fields: each as
  // soup_multipart_new_from_message() reads it.
  const std::string video = video_bytes(5000, 2);
  const std::vector<std::string> bodies = {
      "preamble text\r\n" + browser_form(video) + "epilogue",
      part("Content-Disposition: form-data; name=\"video\"", "ab\r\n--" + std::string(kBoundary) + "XYZ\r\n--" + kBoundary + "-x") + closing(),
      std::string("--") + kBoundary + "\r\n\r\nno headers\r\n" + part("Content-Disposition: form-data; name=video", video) + closing(),
      part("Content-Disposition: form-data; name=\"video\"; filename=\"a.mp4\"", video) +
          part("Content-Disposition: form-data; name=\"video\"; filename=\"b.mp4\"", "second") + closing(),
      part("Content-Disposition: form-data; name=\"video\"; filename=\"empty.mp4\"", "") + closing(),
  };
  for (const auto& body : bodies) {
    SoupMessageHeaders* headers = soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);
    soup_message_headers_replace(headers, "Content-Type", (std::string("multipart/form-data; boundary=") + kBoundary).c_str());
    GBytes* bytes = g_bytes_new(body.data(), body.size());
    SoupMultipart* form = soup_multipart_new_from_message(headers, bytes);
    ASSERT_NE(form, nullptr);
    std::string expected;
    bool found = false;
    for (int i = 0; i < soup_multipart_get_length(form) && !found; ++i) {
      SoupMessageHeaders* h = nullptr;
      GBytes* data = nullptr;
      soup_multipart_get_part(form, i, &h, &data);
      GHashTable* params = nullptr;
      if (soup_message_headers_get_content_disposition(h, nullptr, &params)) {
        const auto* name = static_cast<const char*>(g_hash_table_lookup(params, "name"));
        if (name != nullptr && std::string(name) == "video") {
          gsize n = 0;
          const auto* p = static_cast<const char*>(g_bytes_get_data(data, &n));
          expected.assign(p, n);
          found = true;
        }
        g_hash_table_destroy(params);
      }
    }
    soup_multipart_free(form);
    g_bytes_unref(bytes);
    soup_message_headers_unref(headers);
    const Result r = read(body, {17});
    ASSERT_TRUE(found) << &body - &bodies[0];
    ASSERT_FALSE(expected.empty() && &body != &bodies[4]) << &body - &bodies[0];
    EXPECT_TRUE(r.ok && r.complete);
    EXPECT_EQ(r.data, expected);
  }
  EXPECT_EQ(read(bodies[3], {5}).file, "a.mp4");
}

TEST(MultipartField, MalformedOrIncompleteBodiesAreRefused) {
  const std::string video = video_bytes(3000, 3);
  const std::string good = browser_form(video);
  // Cut short: no closing delimiter.
  Result r = read(good.substr(0, good.size() - closing().size() - 100), {64});
  EXPECT_TRUE(r.ok);
  EXPECT_FALSE(r.complete);
  // No video field.
  r = read(part("Content-Disposition: form-data; name=\"file\"; filename=\"x.mp4\"", video) + closing(), {64});
  EXPECT_TRUE(r.ok);
  EXPECT_FALSE(r.complete);
  EXPECT_TRUE(r.data.empty());
  // No delimiter at all.
  r = read(video, {100});
  EXPECT_FALSE(r.complete);
  EXPECT_TRUE(r.data.empty());
  // Headers without end beyond the cap.
  r = read(std::string("--") + kBoundary + "\r\nX-Long: " + std::string(MultipartField::kMaxHeaderBytes + 10, 'a'), {1000});
  EXPECT_FALSE(r.ok);
  // A sink that fails (disk full) stops the reading.
  MultipartField refusing(kBoundary, "video", [](std::string_view) { return false; });
  EXPECT_FALSE(refusing.feed(good));
  EXPECT_TRUE(refusing.failed());
  EXPECT_FALSE(refusing.complete());
  // An empty boundary is refused from the start.
  MultipartField no_boundary("", "video", [](std::string_view) { return true; });
  EXPECT_FALSE(no_boundary.feed(good));
}

TEST(MultipartField, BoundaryFromContentType) {
  SoupMessageHeaders* headers = soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);
  EXPECT_FALSE(form_boundary(headers));
  soup_message_headers_replace(headers, "Content-Type", "multipart/form-data; boundary=\"a b\"");
  EXPECT_EQ(form_boundary(headers).value_or(""), "a b");
  soup_message_headers_replace(headers, "Content-Type", "text/plain; boundary=x");
  EXPECT_FALSE(form_boundary(headers));
  soup_message_headers_replace(headers, "Content-Type", "multipart/form-data");
  EXPECT_FALSE(form_boundary(headers));
  soup_message_headers_unref(headers);
}

}  // namespace
}  // namespace sueo::transport
