// In-memory event store for one session: lets the SDK transport send SSE event ids and replay what
// a client missed after a stream closed (SEP-1699 resumability, exercised by `server-sse-polling`).
import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

type StoredEvent = { eventId: string; streamId: string; message: JSONRPCMessage };

export class InMemoryEventStore implements EventStore {
  private readonly events: StoredEvent[] = [];
  private nextSequence = 0;

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const eventId = `${streamId}:${this.nextSequence++}`;
    this.events.push({ eventId, streamId, message });
    return eventId;
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return this.events.find((event) => event.eventId === eventId)?.streamId;
  }

  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const index = this.events.findIndex((event) => event.eventId === lastEventId);
    if (index < 0) throw new Error(`Unknown Last-Event-ID: ${lastEventId}`);
    const { streamId } = this.events[index]!;
    for (const event of this.events.slice(index + 1)) {
      // Priming events are stored as `{}`: they mark a position and carry nothing to replay.
      if (event.streamId === streamId && Object.keys(event.message).length > 0)
        await send(event.eventId, event.message);
    }
    return streamId;
  }
}
