# iallocd service image.  Stage 1 builds wheels of iallocd and every dependency; stage 2 installs
# them alone (no compiler, no sources) and runs the service as an unprivileged user.

FROM python:3.11-slim AS build
WORKDIR /src
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY pyproject.toml README.md ./
COPY app ./app
RUN pip wheel --wheel-dir /wheels .

FROM python:3.11-slim
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/iallocd --create-home iallocd
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-index --find-links /wheels iallocd
# The default SQLite store (without IALLOCD_DATABASE_URL) lives in the working directory.
WORKDIR /var/lib/iallocd
USER iallocd
EXPOSE 8080
# slim has no curl: ask /healthz with the standard library (urlopen raises on anything but 2xx).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
CMD ["python", "-m", "app.serve", "--host", "0.0.0.0", "--port", "8080"]
