/* h2load (nghttp2 1.52) cannot present a client certificate, which the mTLS
 * runs of bench/grpc need. Preloaded into h2load, this gives every SSL_CTX
 * it creates the certificate and key named by BENCH_CLIENT_CERT and
 * BENCH_CLIENT_KEY (PEM files). Built by bench/grpc:
 *   cc -shared -fPIC -O2 -o h2load_client_cert.so h2load_client_cert.c -ldl -lssl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>

SSL_CTX *SSL_CTX_new(const SSL_METHOD *method) {
  static SSL_CTX *(*next)(const SSL_METHOD *) = NULL;
  if (next == NULL) next = (SSL_CTX * (*)(const SSL_METHOD *)) dlsym(RTLD_NEXT, "SSL_CTX_new");
  SSL_CTX *ctx = next(method);
  const char *cert = getenv("BENCH_CLIENT_CERT");
  const char *key = getenv("BENCH_CLIENT_KEY");
  if (ctx != NULL && cert != NULL && key != NULL &&
      (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
       SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)) {
    fprintf(stderr, "h2load_client_cert: cannot load %s / %s\n", cert, key);
    abort();
  }
  return ctx;
}
