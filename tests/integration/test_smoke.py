async def test_health(client):
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "queue": "ok"}


async def test_liveness(anon_client):
    response = await anon_client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
