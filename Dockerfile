# The suite's image: built on Debian 12 like the machines it runs on, run
# as an unprivileged user. compose.yaml runs its programs.
FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ make pkg-config libevent-dev libpq-dev \
      libhiredis-dev libjansson-dev libjwt-dev libcrypt-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make -j"$(nproc)" install PREFIX=/usr SYSCONFDIR=/etc/usersuite DESTDIR=/out

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libevent-2.1-7 libevent-pthreads-2.1-7 libpq5 \
      libhiredis0.14 libjansson4 libjwt0 libcrypt1 libssl3 postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --shell /usr/sbin/nologin usersuite
COPY --from=build /out/ /
COPY sql /usr/share/usersuite/sql
ENV MIGRATIONS_DIR=/usr/share/usersuite/sql/migrations \
    LOG_DIR=
USER usersuite
