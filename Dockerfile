# journeykpi container: a static binary on a distroless base, running as a non-root user.
# The default command is the nightly scheduler. With no --config, journeykpi reads
# $JOURNEYKPI_CONFIG, else /etc/journeykpi/config.yaml when it exists, else its built-in example
# on the bundled sample, and logs which on every start: mount a config at
# /etc/journeykpi/config.yaml and a volume for the reports at /var/lib/journeykpi.
#
#   docker build -t journeykpi .
#   mkdir -p reports    # a bind mount keeps its host owner: run as that owner to write into it
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/reports:/var/lib/journeykpi" journeykpi run   # the bundled sample
#   docker run -d -v "$PWD/config.yaml:/etc/journeykpi/config.yaml:ro" \
#     -v journeykpi-reports:/var/lib/journeykpi journeykpi          # schedule, with the mounted config
#   docker exec <container> journeykpi status                       # the ledger and what runs next

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/journeykpi ./cmd/journeykpi \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/journeykpi /usr/local/bin/journeykpi
# The volume's mount point belongs to the nonroot user (65532) so reports can be written.
COPY --from=build --chown=65532:65532 /out/data /var/lib/journeykpi
# Reports and the run ledger go here. The variable overrides report.out in a mounted config; to
# write elsewhere pass --out or set the variable (schedule.state_dir still moves the ledger).
ENV JOURNEYKPI_REPORT_OUT=/var/lib/journeykpi
VOLUME ["/var/lib/journeykpi"]
WORKDIR /var/lib/journeykpi
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/journeykpi"]
CMD ["schedule"]
