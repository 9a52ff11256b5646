# Local stand-in for mcr.microsoft.com/dotnet/aspnet where that registry cannot be reached (infra/images/local-bases.sh):
# Debian trixie with this machine's .NET and ASP.NET Core shared runtimes, and the same non-root user as the
# Microsoft image ("app", uid 1654, in APP_UID), so the services' Dockerfiles run unchanged on either.
# Build context: the .NET install directory (DOTNET_ROOT).
ARG BASE_IMAGE=platform-local/debian:trixie
FROM ${BASE_IMAGE}
ARG APP_UID=1654
# The licence texts where the install has them (*.txt: LICENSE.txt, ThirdPartyNotices.txt).
COPY dotnet *.txt /usr/share/dotnet/
COPY host/ /usr/share/dotnet/host/
COPY shared/Microsoft.NETCore.App/ /usr/share/dotnet/shared/Microsoft.NETCore.App/
COPY shared/Microsoft.AspNetCore.App/ /usr/share/dotnet/shared/Microsoft.AspNetCore.App/
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
    && groupadd --gid "$APP_UID" app \
    && useradd --uid "$APP_UID" --gid app --no-create-home --shell /usr/sbin/nologin app
ENV APP_UID=${APP_UID} \
    DOTNET_ROOT=/usr/share/dotnet \
    DOTNET_RUNNING_IN_CONTAINER=true
