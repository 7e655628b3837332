# The suite's images, built on Debian 12 like the machines it runs on.
# compose.yaml builds two targets: `suite` runs the programs (as the
# unprivileged user usersuite), `nginx` is the front on port 8001.
FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ make pkg-config libevent-dev libpq-dev \
      libhiredis-dev libjansson-dev libjwt-dev libcrypt-dev libjemalloc-dev libssl-dev libgtest-dev python3-flasgger \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make -j"$(nproc)" build/users-api build/auth-api build/job-worker build/jobctl build/migrate \
 && make install-strip PREFIX=/usr SYSCONFDIR=/etc/usersuite DESTDIR=/out
# nginx's part for the containers: the upstreams are compose's service
# names; two users-api replicas answer to one name, and nginx takes every
# address the name resolves to.
RUN mkdir -p /out-nginx/etc/nginx/conf.d /out-nginx/usr/share/usersuite/assets \
 && scripts/render-nginx -b etc/nginx/usersuite.conf HOST=0.0.0.0 PORT=8001 \
      ACCESS_LOG=/dev/stdout "USERS_API_SERVERS=server users-api:8011 max_fails=0;" \
      AUTH_API_UPSTREAM=auth-api:8012 LOGIN_RATE_PER_MINUTE=60 LOGIN_BURST=10 LOGIN_RETRY_AFTER=1 \
      SWAGGER_UI_DIR=/usr/share/usersuite/assets/swagger-ui REDOC_DIR=/usr/share/usersuite/assets/redoc \
      > /out-nginx/etc/nginx/conf.d/usersuite.conf \
 && cp -r /usr/lib/python3/dist-packages/flasgger/ui3/static /out-nginx/usr/share/usersuite/assets/swagger-ui \
 && cp -r services/users-api/assets/redoc /out-nginx/usr/share/usersuite/assets/redoc

FROM debian:12-slim AS suite
RUN apt-get update \
 && apt-get install -y --no-install-recommends libevent-2.1-7 libevent-pthreads-2.1-7 libpq5 \
      libhiredis0.14 libjansson4 libjwt0 libcrypt1 libssl3 libjemalloc2 postgresql-client-15 curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --shell /usr/sbin/nologin usersuite \
 && install -d -o usersuite -g usersuite /var/spool/usersuite/mail
COPY --from=build /out/ /
# Logs go to stderr only, where the container runtime collects them.
ENV LOG_DIR= \
    MIGRATIONS_DIR=/usr/share/usersuite/sql/migrations
USER usersuite

FROM debian:12-slim AS nginx
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx curl \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default \
 && ln -sf /dev/stderr /var/log/nginx/error.log
COPY --from=build /out-nginx/ /
EXPOSE 8001
CMD ["nginx", "-g", "daemon off;"]
