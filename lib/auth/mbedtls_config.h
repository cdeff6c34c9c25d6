/*
 * mbedTLS's configuration for Metta (MBEDTLS_CONFIG_FILE): SHA-256 alone,
 * the one piece of Debian's mbedTLS we build (lib/auth). No platform layer:
 * the hash needs neither allocation nor I/O.
 */
#ifndef LIB_AUTH_MBEDTLS_CONFIG_H
#define LIB_AUTH_MBEDTLS_CONFIG_H
#define MBEDTLS_SHA256_C
#endif
