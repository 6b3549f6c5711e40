# Build a static binary (no cgo: SQLite is pure Go) and run it on a small base.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/shopbot ./cmd/shopbot

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/shopbot /shopbot
ENV SHOPBOT_HTTP_ADDR=0.0.0.0:8080
# /metrics listens apart from the shop, for a Prometheus on the container's
# network; docker-compose.yml does not publish it on the host.
ENV SHOPBOT_METRICS_ADDR=0.0.0.0:9090
EXPOSE 8080 9090
USER nonroot
ENTRYPOINT ["/shopbot"]
