// The files the server hands out: the page (web/), two vendor scripts from node_modules, and the
// mkcert root CA's public certificate with a page on how to trust it. Thread: main thread.
#pragma once

#include <string>

#include <libsoup/soup.h>

namespace sueo::transport {

// Serves `path` from `web_dir` ("/" → index.html), or /vendor/adapter.js and /vendor/simplepeer.min.js
// from `vendor_dir` (node_modules). Paths with ".." or outside the folder get 404.
void serve_static(SoupServerMessage* message, const std::string& path, const std::string& web_dir,
                  const std::string& vendor_dir);

// /ca: a page (Korean and English) explaining how to install and trust the root CA on an iPad;
// /ca/rootCA.pem (PEM) and /ca/rootCA.cer (DER): the certificate itself. Refuses to serve a file that
// holds a private key.
void serve_ca(SoupServerMessage* message, const std::string& path, const std::string& ca_file);

// The MIME type for a file name's extension.
const char* mime_type(const std::string& name);

}  // namespace sueo::transport
