"""Knowledge Assistants (Agent Bricks): assistants over the company's policy documents, answering
with ranked, cited passages through their serving endpoints."""
