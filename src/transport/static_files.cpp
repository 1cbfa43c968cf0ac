#include "transport/static_files.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "transport/glib_util.h"

namespace sueo::transport {
namespace {

namespace fs = std::filesystem;

bool read_file(const fs::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  out = buffer.str();
  return true;
}

void respond(SoupServerMessage* message, const char* type, const std::string& body, const char* cache = "no-cache") {
  soup_server_message_set_status(message, SOUP_STATUS_OK, nullptr);
  auto* headers = soup_server_message_get_response_headers(message);
  soup_message_headers_replace(headers, "Cache-Control", cache);
  soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
  soup_server_message_set_response(message, type, SOUP_MEMORY_COPY, body.data(), body.size());
}

void not_found(SoupServerMessage* message) {
  static const std::string body = "404 없음 / not found\n";
  soup_server_message_set_status(message, SOUP_STATUS_NOT_FOUND, nullptr);
  soup_server_message_set_response(message, "text/plain; charset=utf-8", SOUP_MEMORY_STATIC, body.data(), body.size());
}

const char* kCaPage = R"(<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>인증서 신뢰하기 · Trust the certificate</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
.en{color:#555}a.button{display:inline-block;padding:.6rem 1rem;background:#1565c0;color:#fff;border-radius:.4rem;text-decoration:none}</style>
</head><body>
<h1>인증서 신뢰하기 <span class="en">· Trust this server's certificate</span></h1>
<p>이 서버는 개발용 인증 기관(mkcert)으로 서명된 HTTPS 인증서를 씁니다. iPad에서 카메라를 쓰려면 이 기관을 한 번 신뢰해야 합니다.<br>
<span class="en">This server's HTTPS certificate is signed by a local development CA (mkcert). To use the camera on an iPad, trust this CA once.</span></p>
<p><a class="button" href="/ca/rootCA.pem">rootCA.pem 내려받기 · Download</a></p>
<ol>
<li>Safari에서 위 버튼을 누르고 “허용”을 누릅니다. <span class="en">Tap the button in Safari, then “Allow” to download the profile.</span></li>
<li>설정 › 일반 › VPN 및 기기 관리(또는 “프로파일이 다운로드됨”)에서 프로파일을 설치합니다. <span class="en">Settings › General › VPN &amp; Device Management (or “Profile Downloaded”): install the profile.</span></li>
<li>설정 › 일반 › 정보 › 인증서 신뢰 설정에서 “mkcert” 항목의 전체 신뢰를 켭니다. <span class="en">Settings › General › About › Certificate Trust Settings: turn on full trust for the “mkcert” root.</span></li>
<li>이 페이지의 주소로 돌아가 <a href="/">시작 페이지</a>를 엽니다. <span class="en">Come back and open the <a href="/">start page</a>.</span></li>
</ol>
<p class="en">Only the CA's public certificate is served here; its private key never leaves the server machine.
The certificate is also available in DER form: <a href="/ca/rootCA.cer">rootCA.cer</a>.</p>
</body></html>
)";

}  // namespace

const char* mime_type(const std::string& name) {
  static const std::map<std::string, const char*> types = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
      {".ico", "image/x-icon"}, {".txt", "text/plain; charset=utf-8"}, {".map", "application/json"}};
  const auto it = types.find(fs::path(name).extension().string());
  return it != types.end() ? it->second : "application/octet-stream";
}

void serve_static(SoupServerMessage* message, const std::string& path, const std::string& web_dir,
                  const std::string& vendor_dir) {
  static const std::map<std::string, std::string> vendor = {
      {"/vendor/adapter.js", "webrtc-adapter/out/adapter.js"},
      {"/vendor/simplepeer.min.js", "simple-peer/simplepeer.min.js"}};
  fs::path file;
  if (const auto it = vendor.find(path); it != vendor.end()) {
    file = fs::path(vendor_dir) / it->second;
  } else {
    if (path.empty() || path.front() != '/' || path.find("..") != std::string::npos || path.find('\0') != std::string::npos) {
      not_found(message);
      return;
    }
    file = fs::path(web_dir) / (path == "/" ? "index.html" : path.substr(1));
  }
  std::error_code error;
  if (!fs::is_regular_file(file, error)) {
    not_found(message);
    return;
  }
  std::string body;
  if (!read_file(file, body)) {
    not_found(message);
    return;
  }
  respond(message, mime_type(file.string()), body);
}

void serve_ca(SoupServerMessage* message, const std::string& path, const std::string& ca_file) {
  if (path == "/ca" || path == "/ca/") {
    respond(message, "text/html; charset=utf-8", kCaPage);
    return;
  }
  std::string pem;
  if (ca_file.empty() || !read_file(ca_file, pem) || pem.find("PRIVATE KEY") != std::string::npos ||
      pem.find("BEGIN CERTIFICATE") == std::string::npos) {
    not_found(message);
    return;
  }
  if (path == "/ca/rootCA.pem") {
    respond(message, "application/x-x509-ca-cert", pem);
  } else if (path == "/ca/rootCA.cer") {
    GError* raw = nullptr;
    GTlsCertificate* certificate = g_tls_certificate_new_from_pem(pem.c_str(), static_cast<gssize>(pem.size()), &raw);
    GErrorPtr error(raw);
    if (certificate == nullptr) {
      not_found(message);
      return;
    }
    GByteArray* der = nullptr;
    g_object_get(certificate, "certificate", &der, nullptr);
    const std::string body(reinterpret_cast<const char*>(der->data), der->len);
    g_byte_array_unref(der);
    g_object_unref(certificate);
    respond(message, "application/x-x509-ca-cert", body);
  } else {
    not_found(message);
  }
}

}  // namespace sueo::transport
