def test_healthz_answers_with_one_query(db, client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Server-Timing"].startswith("app;dur=")
