CREATE INDEX {{p}}conversations_agent_status ON {{p}}conversations (agent_id, status);
CREATE INDEX {{p}}conversations_agent_assigned ON {{p}}conversations (agent_id, assigned_at);
