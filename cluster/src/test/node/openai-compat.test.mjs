// The official openai client against a running gateway. PICKSPIN_BASE_URL is set by OpenAiClientCompatTest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const baseURL = process.env.PICKSPIN_BASE_URL;
assert.ok(baseURL, 'PICKSPIN_BASE_URL must point at the gateway, e.g. http://127.0.0.1:8080/v1');
const apiKey = process.env.PICKSPIN_API_KEY;
assert.ok(apiKey, 'PICKSPIN_API_KEY must be a key made through the admin API (POST /admin/keys)');
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 30_000 });

test('a wrong key is a 401 AuthenticationError with code invalid_api_key', async () => {
  const wrong = new OpenAI({ baseURL, apiKey: 'sk-ps-wrong', maxRetries: 0, timeout: 30_000 });
  await assert.rejects(
    wrong.chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] }),
    (e) => e instanceof OpenAI.AuthenticationError && e.status === 401 && e.code === 'invalid_api_key',
  );
});

test('chat completion, not streamed', async () => {
  const r = await client.chat.completions.create({
    model: 'auto',
    messages: [{ role: 'user', content: 'What is the capital of France?' }],
    max_tokens: 12,
  });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.ok(r.choices[0].message.content.length > 0);
  assert.equal(r.usage.completion_tokens, 12);
});

test('chat completion, streamed, with usage', async () => {
  const stream = await client.chat.completions.create({
    model: 'demo-small',
    messages: [{ role: 'user', content: 'Say hello' }],
    max_tokens: 8,
    stream: true,
    stream_options: { include_usage: true },
  });
  let content = '';
  let chunks = 0;
  let usage = null;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) content += c.delta?.content ?? '';
  }
  assert.ok(chunks >= 8, `expected at least 8 chunks, got ${chunks}`);
  assert.equal(content.trim().split(/\s+/).length, 8);
  assert.equal(usage?.completion_tokens, 8);
});

test('model list names the catalogue and auto', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  for (const id of ['auto', 'demo-small', 'demo-medium', 'demo-large']) assert.ok(ids.includes(id), `missing ${id} in ${ids}`);
});

test('unknown model is a 404 APIError', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] }),
    (e) => e instanceof OpenAI.APIError && e.status === 404 && /no-such-model/.test(e.message),
  );
});

test('missing messages is a 400 APIError', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'auto' }),
    (e) => e instanceof OpenAI.APIError && e.status === 400,
  );
});
