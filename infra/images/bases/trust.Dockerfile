# The build stage's trust store: Debian's CA bundle plus the certificate authorities this machine added
# (/usr/local/share/ca-certificates: a corporate CA, a TLS-intercepting egress proxy), so the build stage's NuGet
# restore trusts what the host's does. Only the local SDK stand-in is built on it; the runtime image is not.
# Build context: a directory of *.crt files (may be empty).
ARG BASE_IMAGE=platform-local/debian:trixie
FROM ${BASE_IMAGE}
COPY . /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null
