# clamd for docker-compose.yml: Debian's clamav-daemon with the project's
# deploy/clamd/clamd.conf and its tiny signature database (deploy/clamd/db:
# EICAR and ClamAV's test files), enough for tests and a demo.
#
# Production: this image has NO real signatures. Add freshclam (a second
# service running `freshclam -d` on a shared /var/lib/clamav volume, or a cron
# job) and point DatabaseDirectory at that volume; clamd reloads updated
# databases on its own (SelfCheck).
FROM debian:bookworm-slim
# clamdscan (only a Recommends of clamav-daemon) runs the HEALTHCHECK below.
RUN apt-get update \
 && apt-get install -y --no-install-recommends clamav-daemon clamdscan \
 && rm -rf /var/lib/apt/lists/*
COPY deploy/clamd/clamd.conf /etc/clamav/clamd.conf
COPY deploy/clamd/db/ /var/lib/avfleet-clamd/db/
# deploy/clamd/clamd.conf listens on loopback for the single-machine setup; in a
# container clamd must listen on every interface, run in the foreground and log to stderr.
RUN sed -i -e 's/^TCPAddr .*/TCPAddr 0.0.0.0/' -e 's/^LogFileMaxSize .*/LogFileMaxSize 0/' /etc/clamav/clamd.conf \
 && printf '%s\n' \
      'DatabaseDirectory /var/lib/avfleet-clamd/db' \
      'LocalSocket /run/clamav/clamd.sock' \
      'Foreground yes' \
      'LogFile /dev/stderr' \
      'User clamav' \
      >> /etc/clamav/clamd.conf \
 && mkdir -p /run/clamav && chown clamav:clamav /run/clamav
EXPOSE 3310
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=5 CMD clamdscan --ping 3 || exit 1
CMD ["clamd", "--config-file=/etc/clamav/clamd.conf"]
