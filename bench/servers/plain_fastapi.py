"""The hello endpoint in plain FastAPI: no chassis middleware, logs or metrics."""

from __future__ import annotations

from fastapi import FastAPI

from reelstack.hello.schemas import Greeting

app = FastAPI()


@app.get("/hello")
async def hello(name: str = "") -> Greeting:
    return Greeting(greeting=f"hello {name}", instance="hello-a-1", zone="a")
