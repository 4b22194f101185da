# One image for every role (api, worker, beat, migrate); the compose file picks the command.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY requirements.lock pyproject.toml README.md ./
RUN pip install -r requirements.lock
COPY hub ./hub
COPY connectors ./connectors
COPY schemas ./schemas
COPY auth ./auth
RUN pip install --no-deps . && useradd --system --uid 10001 hub
USER hub
EXPOSE 8000
CMD ["hub", "serve", "--host", "0.0.0.0", "--port", "8000"]
