"""The hosted Supervisor API route (`/ai-gateway/mlflow/v1/responses`), run by the client engine's loop."""
