# syntax=docker/dockerfile:1
# toolbox container image: a static-ish Rust binary on distroless/cc (glibc, libgcc, CA certs;
# no shell, no package manager, no curl). Build:  docker build -t toolbox .
#
# Stages: chef (cargo-chef installed once) → planner (dependency "recipe" from Cargo.toml and
# Cargo.lock only) → builder (compiles the dependencies from the recipe, a layer Docker reuses
# until Cargo.toml/Cargo.lock change, then the project's own code) → runtime.
#
# Size: the stripped release binary is 12.2 MB (measured; rustls, no OpenSSL; it links only
# libc, libm and libgcc_s, all in the base) and distroless/cc-debian12
# is ~23 MB uncompressed, so the image is about 35 MB, under 50 MB.

ARG RUST_VERSION=1.94
ARG CARGO_CHEF_VERSION=0.1.73

FROM rust:${RUST_VERSION}-slim-bookworm AS chef
ARG CARGO_CHEF_VERSION
RUN cargo install cargo-chef --locked --version "${CARGO_CHEF_VERSION}"
WORKDIR /app

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
# Symbols stripped, so the binary is a third of its unstripped size.
ENV CARGO_PROFILE_RELEASE_STRIP=symbols
COPY --from=planner /app/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY . .
# Migrations are embedded in the binary at compile time (sqlx::migrate!).
RUN cargo build --release --locked --bin toolbox \
    && install -D -m 0755 target/release/toolbox /out/toolbox

# Same Debian release (bookworm, glibc 2.36) as the builder.
# The :nonroot variant; its own user (65532) is replaced by UID 1000 below.
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
LABEL org.opencontainers.image.title="toolbox" \
      org.opencontainers.image.description="A tool registry for AI agents" \
      org.opencontainers.image.licenses="MIT"
COPY --from=builder /out/toolbox /usr/local/bin/toolbox
# Configuration comes only from the environment (see .env.example); these are the image's
# defaults. The process writes no files, so the root filesystem can be mounted read-only.
ENV HOST=0.0.0.0 \
    PORT=8080 \
    LOG_FORMAT=json \
    LOG_LEVEL=info
# UID/GID 1000, not root. Numeric so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080
# `toolbox healthcheck` GETs http://127.0.0.1:$PORT/health with a 3 s timeout (exit 0/1).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/toolbox", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/toolbox"]
CMD ["serve"]
