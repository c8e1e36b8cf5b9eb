# syntax=docker/dockerfile:1
#
# authd container image: a static Go binary on a distroless base, running as
# an unprivileged user. The migrations are embedded in the binary.
#
#   docker build --build-arg VERSION="$(git describe --tags --always --dirty)" -t authd .
#
# test/e2e/build_test.go runs the `go build` command of the build stage
# outside Docker and checks that the result is static and runs; keep that
# command on one RUN line.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY cmd ./cmd
COPY internal ./internal
COPY migrations ./migrations
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X github.com/authd/authd/internal/version.Version=${VERSION}" -o /out/authd ./cmd/authd

# distroless/static has CA certificates, tzdata and /etc/passwd entries for
# the nonroot user (65532), and nothing else: no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/authd /usr/local/bin/authd
USER nonroot:nonroot
# Inside a container the server must listen on every interface; publish
# only port 3000, and let just the monitoring network reach 9090.
ENV AUTHD_LISTEN_ADDR=0.0.0.0:3000 \
    AUTHD_ADMIN_LISTEN_ADDR=0.0.0.0:9090
EXPOSE 3000 9090
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 CMD ["/usr/local/bin/authd", "health"]
ENTRYPOINT ["/usr/local/bin/authd"]
CMD ["serve"]
