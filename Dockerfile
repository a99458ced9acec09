# Multi-stage build: a static binary in a small, non-root image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/minyi ./cmd/minyi

# distroless/static carries CA certificates (for api.telegram.org) and runs as nonroot;
# time zones are compiled into the binary. It has no shell, so the health check is
# minyi's own: `minyi health` asks /healthz on MINYI_HTTP_ADDR.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/minyi /usr/local/bin/minyi
USER nonroot:nonroot
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["/usr/local/bin/minyi", "health"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/minyi"]
CMD ["serve"]
