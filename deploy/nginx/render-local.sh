#!/usr/bin/env bash
# Render deploy/nginx/secrecy.conf into a throw-away nginx prefix and check it with `nginx -t`;
# with --serve, also start that nginx (high ports, no root needed, nothing under /etc touched).
# It makes a self-signed server certificate, a client CA and one client certificate signed by it,
# so the client-certificate pass-through can be tried with curl --cert.
#
#   deploy/nginx/render-local.sh DIR [--serve] [--http PORT] [--https PORT] [--static DIR] [--upstream HOST:PORT]
#
# Used by `make deploy-check` (check only) and for the local load test (deploy/DRILL.md).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
prefix="${1:?usage: render-local.sh DIR [--serve] [--http PORT] [--https PORT] [--static DIR] [--upstream HOST:PORT]}"
shift
serve=0 http_port=8080 https_port=8443 static_dir="$here/../../var/staticfiles" upstream=127.0.0.1:8000
while [ $# -gt 0 ]; do
    case "$1" in
        --serve) serve=1 ;;
        --http) http_port="$2"; shift ;;
        --https) https_port="$2"; shift ;;
        --static) static_dir="$2"; shift ;;
        --upstream) upstream="$2"; shift ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
command -v nginx >/dev/null || { echo "nginx is not installed (apt-get install -y nginx)" >&2; exit 1; }
mkdir -p "$prefix/tls" "$prefix/logs"
prefix="$(cd "$prefix" && pwd)"
static_dir="$(mkdir -p "$static_dir" && cd "$static_dir" && pwd)"

tls="$prefix/tls"
if [ ! -f "$tls/server.crt" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -keyout "$tls/server.key" -out "$tls/server.crt" 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/O=示范单位/CN=测试用户证书CA" -utf8 \
        -keyout "$tls/client-ca.key" -out "$tls/client-ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/O=示范单位/CN=lisi" -utf8 \
        -keyout "$tls/client.key" -out "$tls/client.csr" 2>/dev/null
    openssl x509 -req -in "$tls/client.csr" -CA "$tls/client-ca.crt" -CAkey "$tls/client-ca.key" \
        -CAcreateserial -days 30 -out "$tls/client.crt" 2>/dev/null
fi

# The site file with local ports, paths and upstream; everything else exactly as shipped.
sed -e "s#listen 80 #listen $http_port #; s#listen \[::\]:80 #listen [::]:$http_port #" \
    -e "s#listen 80;#listen $http_port;#; s#listen \[::\]:80;#listen [::]:$http_port;#" \
    -e "s#listen 443 #listen $https_port #; s#listen \[::\]:443 #listen [::]:$https_port #" \
    -e "s#server_name secrecy.example.internal;#server_name localhost 127.0.0.1;#" \
    -e "s#/etc/secrecy/tls/#$tls/#" \
    -e "s#/var/lib/secrecy/staticfiles/#$static_dir/#" \
    -e "s#server 127.0.0.1:8000;#server $upstream;#" \
    -e "s#return 301 https://\$host\$request_uri;#return 301 https://\$host:$https_port\$request_uri;#" \
    "$here/secrecy.conf" > "$prefix/secrecy.conf"

cat > "$prefix/nginx.conf" <<CONF
worker_processes 1;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log warn;
events { worker_connections 512; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    server_tokens off;
    access_log $prefix/logs/access.log;
    client_body_temp_path $prefix/tmp_body;
    proxy_temp_path $prefix/tmp_proxy;
    fastcgi_temp_path $prefix/tmp_fastcgi;
    uwsgi_temp_path $prefix/tmp_uwsgi;
    scgi_temp_path $prefix/tmp_scgi;
    include $prefix/secrecy.conf;
}
CONF

nginx -t -p "$prefix" -c "$prefix/nginx.conf"
if [ "$serve" = 1 ]; then
    nginx -p "$prefix" -c "$prefix/nginx.conf"
    echo "nginx serving https://127.0.0.1:$https_port/ (stop: kill \$(cat $prefix/nginx.pid))"
fi
