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
# The default config path is compiled in: built with the SYSCONFDIR of the
# install below, so that `make install-strip` does not build again.
RUN make -j"$(nproc)" SYSCONFDIR=/etc/usersuite build/users-api build/auth-api build/job-worker build/jobctl build/migrate \
 && make install-strip PREFIX=/usr SYSCONFDIR=/etc/usersuite DESTDIR=/out
# nginx's part for the containers is rendered when the container starts
# (see the nginx stage): the template, render-nginx and the API
# documentation's scripts.
RUN mkdir -p /out-nginx/usr/local/bin /out-nginx/usr/share/usersuite/assets /out-nginx/usr/share/usersuite/nginx \
 && cp scripts/render-nginx /out-nginx/usr/local/bin/ \
 && cp etc/nginx/usersuite.conf /out-nginx/usr/share/usersuite/nginx/ \
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
# make install leaves the config root's, mode 0640 (it may hold secrets):
# the group lets usersuite read it, and the programs refuse to start on an
# unreadable default config.
RUN chgrp usersuite /etc/usersuite/usersuite.env
# Logs go to stderr only, where the container runtime collects them.
ENV LOG_DIR= \
    MIGRATIONS_DIR=/usr/share/usersuite/sql/migrations
USER usersuite

# nginx runs as www-data: port 8001 needs no root. Its pid file and the
# rendered part live in /run/nginx, its temporary files in /var/lib/nginx,
# both www-data's; Debian's nginx.conf includes the part from conf.d.
FROM debian:12-slim AS nginx
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx curl \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default \
 && ln -sf /dev/stderr /var/log/nginx/error.log \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && sed -i -e '/^user /d' -e 's|^pid .*|pid /run/nginx/nginx.pid;|' /etc/nginx/nginx.conf \
 && install -d -o www-data -g www-data /run/nginx \
 && chown -R www-data:www-data /var/lib/nginx \
 && ln -s /run/nginx/usersuite.conf /etc/nginx/conf.d/usersuite.conf
COPY --from=build /out-nginx/ /
USER www-data
EXPOSE 8001
# At start, the part is rendered with the login brake of the environment
# (compose's env_file, the suite's one config file), so that a change
# there needs a restart, not a new image. The rest is fixed by compose:
# the upstreams are its service names (nginx takes every address of the
# two users-api replicas), and nginx listens on 8001 inside the container
# whatever PORT says; compose's `ports` chooses the host's port.
ENTRYPOINT ["/bin/sh", "-ec", "\
rate=${LOGIN_RATE_PER_MINUTE:-60}; \
[ \"$rate\" -gt 0 ] 2>/dev/null || { echo \"nginx: LOGIN_RATE_PER_MINUTE must be a whole number, at least 1\" >&2; exit 78; }; \
render-nginx -b /usr/share/usersuite/nginx/usersuite.conf HOST=0.0.0.0 PORT=8001 ACCESS_LOG=/dev/stdout \
  \"USERS_API_SERVERS=server users-api:8011 max_fails=0;\" AUTH_API_UPSTREAM=auth-api:8012 \
  LOGIN_RATE_PER_MINUTE=$rate LOGIN_BURST=${LOGIN_BURST:-10} LOGIN_RETRY_AFTER=$(((60 + rate - 1) / rate)) \
  SWAGGER_UI_DIR=/usr/share/usersuite/assets/swagger-ui REDOC_DIR=/usr/share/usersuite/assets/redoc \
  >/run/nginx/usersuite.conf; \
exec \"$@\"", "nginx-entrypoint"]
CMD ["nginx", "-g", "daemon off;"]
