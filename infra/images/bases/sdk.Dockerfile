# Local stand-in for mcr.microsoft.com/dotnet/sdk where that registry cannot be reached (infra/images/local-bases.sh):
# Debian trixie (libstdc++ with GLIBCXX_3.4.32+, as TorchSharp's native library needs) with this machine's .NET SDK.
# Build context: the .NET install directory (DOTNET_ROOT).
ARG BASE_IMAGE=platform-local/debian:trixie
FROM ${BASE_IMAGE}
ARG NUGET_CERT_REVOCATION_MODE=online
COPY . /usr/share/dotnet/
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_ROOT=/usr/share/dotnet \
    DOTNET_RUNNING_IN_CONTAINER=true \
    DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    DOTNET_NOLOGO=1 \
    NUGET_CERT_REVOCATION_MODE=${NUGET_CERT_REVOCATION_MODE}
