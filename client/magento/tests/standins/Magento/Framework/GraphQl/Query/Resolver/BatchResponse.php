<?php
// Test stand-in: Magento's batch response, responses by request object.
namespace Magento\Framework\GraphQl\Query\Resolver;

class BatchResponse
{
    private \SplObjectStorage $responses;

    public function __construct()
    {
        $this->responses = new \SplObjectStorage();
    }

    public function addResponse(BatchRequestItemInterface $request, $response): void
    {
        $this->responses[$request] = $response;
    }

    public function findResponseFor(BatchRequestItemInterface $item)
    {
        return $this->responses[$item];
    }
}
